; Power-on and reset state (NESdev wiki, "CPU power up state", "PPU power up state", "APU"):
;   power-on: A = X = Y = 0, SP = $FD, I set; the APU frame counter runs as if $4017 = $00 had
;     been written (4-step, IRQ enabled).
;   reset: A, X, Y and RAM are kept; SP is decremented by 3 (the reset sequence's three pushes are
;     turned into reads), I is set; $4015 is cleared (channels off, length counters 0); $4017
;     keeps its last value (an inhibited frame IRQ stays inhibited).
;   both: the PPU ignores writes to $2000, $2001, $2005 and $2006 until it reaches the pre-render
;     line (about 29,658 CPU cycles after power-on; the next one after a reset on the NES-001),
;     while $2003/$2004 work at once.
; The program asks for the reset button through the protocol ($6000 = $81); RAM $0700-$0703
; holds a marker that tells the two runs apart.
; Checks (result code):
;   1  power-on A, X, Y = 0        2  power-on SP = $FD        3  power-on I set
;   4  power-on: the frame IRQ flag sets (as if $4017 = $00 was written)
;   5  a $2000 write (NMI on) right after power-on was ignored: no NMI in 3 frames
;   6  $2003/$2004 worked right after power-on (OAM[$10] = $77)
;   7  a $2000 write after the warm-up is taken: NMIs come
;   8  after reset A, X, Y are kept ($A5, $5A, $C3)
;   9  after reset SP = $F0 - 3 = $ED     10  after reset I set
;  11  after reset the pulse 1 length counter is 0 ($4015 bit 0 clear; it was 1)
;  12  after reset the frame IRQ stays inhibited ($4017 was $40)
;  13  a $2000 write right after reset was ignored: no NMI in 3 frames
  .include "shell.asm"

nmis   = $10
marker = $0700          ; 4 bytes: 'R', 'S', 'E', 'T' once the first run asked for a reset

main:
  lda #<nmi_handler
  sta nmi_ptr
  lda #>nmi_handler
  sta nmi_ptr+1
  lda #0
  sta nmis
  lda #$80
  sta $2000             ; NMI on: ignored during the warm-up
  lda #$10
  sta $2003
  lda #$77
  sta $2004             ; OAM[$10] = $77: works at once
  lda marker
  cmp #'R'
  bne power_on
  lda marker+1
  cmp #'S'
  bne power_on
  lda marker+2
  cmp #'E'
  bne power_on
  lda marker+3
  cmp #'T'
  bne power_on
  jmp after_reset

power_on:
  lda reset_a           ; 1
  ora reset_x
  ora reset_y
  beq @sp
  lda #1
  jmp finish
@sp:
  lda reset_sp          ; 2
  cmp #$FD
  beq @i
  lda #2
  jmp finish
@i:
  lda reset_p           ; 3
  and #$04
  bne @nmi
  lda #3
  jmp finish
@nmi:
  jsr wait_3_frames     ; 5 (before 4: the $4015 read below)
  lda nmis
  beq @frame_irq
  lda #5
  jmp finish
@frame_irq:
  lda $4015             ; 4: 3 frames after power-on the frame IRQ flag is set
  and #$40
  bne @oam
  lda #4
  jmp finish
@oam:
  lda #$10              ; 6
  sta $2003
  lda $2004
  cmp #$77
  beq @late_write
  lda #6
  jmp finish
@late_write:
  lda #$80              ; 7
  sta $2000
  jsr wait_3_frames
  lda #$00
  sta $2000
  lda nmis
  bne @setup
  lda #7
  jmp finish
@setup:
  lda #$40
  sta $4017             ; frame IRQ inhibited (kept across the reset)
  lda #$01
  sta $4015
  lda #$00
  sta $4000
  lda #$F8
  sta $4003             ; pulse 1 length counter loaded (index 31: 30)
  lda #'R'
  sta marker
  lda #'S'
  sta marker+1
  lda #'E'
  sta marker+2
  lda #'T'
  sta marker+3
  lda #$81
  sta RESULT            ; press reset, please
  ldx #$F0
  txs
  lda #$A5
  ldx #$5A
  ldy #$C3
@idle:
  jmp @idle

after_reset:
  lda #0
  sta marker            ; a power cycle must not see the marker
  lda reset_a           ; 8
  cmp #$A5
  bne @fail8
  lda reset_x
  cmp #$5A
  bne @fail8
  lda reset_y
  cmp #$C3
  beq @sp
@fail8:
  lda #8
  jmp finish
@sp:
  lda reset_sp          ; 9
  cmp #$ED
  beq @i
  lda #9
  jmp finish
@i:
  lda reset_p           ; 10
  and #$04
  bne @length
  lda #10
  jmp finish
@length:
  lda $4015             ; 11
  and #$01
  beq @nmi
  lda #11
  jmp finish
@nmi:
  jsr wait_3_frames     ; 13
  lda nmis
  beq @frame_irq
  lda #13
  jmp finish
@frame_irq:
  lda $4015             ; 12
  and #$40
  beq @done
  lda #12
  jmp finish
@done:
  jmp passed

nmi_handler:
  inc nmis
  rti

; 3 frames (90,031 cycles; a frame is 29,780.7) without touching the PPU.
wait_3_frames:
  ldx #70
  jmp wait_x_1286
